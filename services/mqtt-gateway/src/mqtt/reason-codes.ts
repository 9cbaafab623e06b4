/** MQTT 5 reason codes the gateway sends ([MQTT-2.4]); MQTT 3 equivalents are chosen where they are sent. */
export const ReasonCode = {
  success: 0x00,
  noMatchingSubscribers: 0x10,
  unspecifiedError: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecificError: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdentifierNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverBusy: 0x89,
  serverShuttingDown: 0x8b,
  administrativeAction: 0x98,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetIdentifierNotFound: 0x92,
  receiveMaximumExceeded: 0x93,
  packetTooLarge: 0x95,
  topicAliasInvalid: 0x94,
  quotaExceeded: 0x97,
  payloadFormatInvalid: 0x99,
  sharedSubscriptionsNotSupported: 0x9e,
  connectionRateExceeded: 0x9f,
  subscriptionIdentifiersNotSupported: 0xa1,
} as const;

/** MQTT 3.1/3.1.1 CONNACK return codes [MQTT-3.2.2.3]. */
export const ConnackV3 = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** SUBACK failure code of MQTT 3.1.1 [MQTT-3.9.3]. */
export const SUBACK_FAILURE_V3 = 0x80;
