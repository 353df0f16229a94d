// Placeholder until the HTTP/WebSocket API lands: no HTTP listener yet.
import type { Logger } from 'pino';
import type { Broker } from '../broker.ts';

export interface HttpServerHandle {
  port: number;
  close(): Promise<void>;
}

export async function startHttp(_broker: Broker, _logger: Logger): Promise<HttpServerHandle | null> {
  return null;
}
