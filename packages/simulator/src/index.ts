export { FlyveAgent, inventoryDocument } from './flyve-agent.js';
export type { AgentFormat, AgentIdentity, AgentOptions, AgentReport } from './flyve-agent.js';
export { agentReports, simulate } from './simulate.js';
export type { Simulation, SimulationOptions, SimulationSummary } from './simulate.js';
