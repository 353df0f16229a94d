// Every Kafka API the listener serves, by API key, and what it advertises in
// ApiVersions: the codec's version range for exactly the APIs with a handler,
// so a client is never told about an API the broker cannot answer.

import { ApiKey, SUPPORTED_VERSIONS } from '../../src/protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import type { Handler } from './context.ts';
import { coreHandlers } from './handlers.ts';
import { groupHandlers } from './group-handlers.ts';
import { adminHandlers } from './admin-handlers.ts';
import { producerHandlers } from './producer-handlers.ts';
import { SaslAuthenticator } from './sasl.ts';
import { saslHandlers } from './sasl-handlers.ts';

export interface HandlerRegistry {
  handlers: ReadonlyMap<number, Handler>;
  advertised: ReadonlyMap<number, { min: number; max: number }>;
  /** True when the Kafka port requires SASL authentication (saslUsers is set). */
  authRequired: boolean;
  /** The APIs a connection may call before it has authenticated. */
  preAuthApis: ReadonlySet<number>;
  /** The group coordinator the group APIs are answered from; null answers them COORDINATOR_NOT_AVAILABLE. */
  groups: GroupCoordinator | null;
}

export function buildHandlers(broker: Broker, groups: GroupCoordinator | null): HandlerRegistry {
  const users = broker.config.saslUsers;
  const handlers = new Map<number, Handler>([...coreHandlers, ...groupHandlers, ...adminHandlers, ...producerHandlers, ...saslHandlers(users ? new SaslAuthenticator(users) : null)]);
  const advertised = new Map([...SUPPORTED_VERSIONS].filter(([key]) => handlers.has(key)).sort((a, b) => a[0] - b[0]));
  return { handlers, advertised, authRequired: broker.config.saslUsers !== null, preAuthApis: new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]), groups };
}
