export { CONTEXTS, CONTEXT_NAMES, DEAD_LETTER } from './contexts.js';
export type { Context } from './contexts.js';
export { defineEvent, EventEnvelopeSchema } from './envelope.js';
export type { EventDataInput, EventDefinition, EventEnvelope, EventOf } from './envelope.js';
export { isSafeSubjectToken, MAX_SUBJECT_TOKEN_LENGTH, SubjectToken, subjectToken, UnsafeSubjectTokenError } from './subject-token.js';
export { aggregateSubjectFilter, contextSubjectFilter, deadLetterSubject, eventSubject, eventTypeSubjectFilter } from './subjects.js';
export { Dialect, MqttProtocolLevel } from './devices/dialect.js';
export { DeviceConnected } from './devices/device-connected.js';
export { DeviceDisconnected, DisconnectReason } from './devices/device-disconnected.js';
export { DevicePositionReported } from './geo/device-position-reported.js';
export { CredentialKind, CredentialSecret, DEVICE_CREDENTIALS_BUCKET, DeviceCredential } from './credentials/device-credential.js';
export { DeviceCommand } from './commands/device-command.js';
export { DeviceCommandIssued } from './commands/device-command-issued.js';
export { DeviceCommandDelivered, DeviceCommandExpired, DeviceCommandPushed } from './commands/command-delivery-events.js';
export { DeviceLimit, DeviceLimitExceeded } from './devices/device-limit-exceeded.js';
export { RETAINED_BUCKET, RetainedMessage, retainedKey, retainedKeyFilters, retainedTopic } from './retained/retained-message.js';
export { ApplicationCredential, TopicRules } from './applications/application-credential.js';
export {
  APP_SUBJECT_ROOT,
  APPLICATION_EVENT_CONTEXTS,
  appSubjectTopic,
  appTenantSubjectFilter,
  appTopicSubject,
  DEVICE_EVENTS_TOPIC_ROOT,
  deviceEventTopic,
  escapeTopicLevel,
  unescapeTopicLevel,
} from './applications/app-topics.js';
export {
  DeviceInstallAcknowledged,
  DeviceInventoryReported,
  DeviceOnlineReported,
  DevicePinged,
  DeviceTaskStatusReported,
  DeviceUnenrollReported,
  RESERVED_TASK_STATUSES,
  ReportedTaskId,
  ReportedTaskStatus,
} from './devices/device-status-events.js';
export { DeviceLocationUnavailable } from './geo/device-location-unavailable.js';
export { DeviceEnrolled, DeviceUnenrolled, DeviceUnenrollRequested } from './devices/device-lifecycle-events.js';
export { ApiKeyIssued, ApiKeyRevoked, OperatorRole, TenantCreated } from './identity/tenant-events.js';
export {
  EnrollmentRefusal,
  EnrollmentRefused,
  InvitationAccepted,
  InvitationCanceled,
  InvitationCreated,
  InvitationReopened,
  UNRESOLVED_TENANT,
} from './identity/invitation-events.js';
export { DeviceCredentialIssued, DeviceCredentialRevoked } from './identity/device-credential-events.js';
export { apiKeyId, formatApiKey, OPERATOR_KEYS_BUCKET, OperatorKeyRecord } from './identity/operator-key.js';
