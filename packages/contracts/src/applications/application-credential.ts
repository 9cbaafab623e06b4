import { z } from 'zod';
import { CredentialSecret } from '../credentials/device-credential.js';
import { SubjectToken } from '../subject-token.js';

/**
 * Topic filters an application may use in one direction. A topic (or, for SUBSCRIBE, every topic a
 * filter can match) must match an `allow` filter and no `deny` filter; deny wins. Filters are MQTT
 * filters relative to the tenant's topic tree, e.g. `sensors/+/temperature` or `$flotilla/events/#`.
 */
export const TopicRules = z.object({
  allow: z.array(z.string().min(1).max(1024)).max(100),
  deny: z.array(z.string().min(1).max(1024)).max(100).default([]),
});
/** One of {@link TopicRules}. */
export type TopicRules = z.infer<typeof TopicRules>;

/**
 * Record of the `application-credentials` KV bucket: an MQTT client of a tenant that is not a device
 * (integration, dashboard, script). It connects with `username` (the key) and its password, and is a
 * client of the tenant's broker: any topic its rules allow, plus the tenant's device events under
 * `$flotilla/events/`.
 */
export const ApplicationCredential = z.object({
  version: z.literal(1),
  tenant: SubjectToken,
  applicationId: SubjectToken,
  /** Client id the CONNECT must carry, else any. */
  clientId: z.string().min(1).nullable(),
  secret: CredentialSecret,
  publish: TopicRules,
  subscribe: TopicRules,
  revoked: z.boolean(),
  issuedAt: z.coerce.date(),
});
/** One of {@link ApplicationCredential}. */
export type ApplicationCredential = z.infer<typeof ApplicationCredential>;
