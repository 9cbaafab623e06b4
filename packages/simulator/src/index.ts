export { FlyveAgent, inventoryDocument } from './flyve-agent.js';
export type { AgentFormat, AgentIdentity, AgentOptions, AgentReport } from './flyve-agent.js';
export { agentReports, seeded, simulate } from './simulate.js';
export type { Simulation, SimulationOptions, SimulationSummary } from './simulate.js';
export { enrollAgents } from './enroll-agents.js';
export type { EnrolledAgent, EnrollOptions } from './enroll-agents.js';
