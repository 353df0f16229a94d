// The best peer figures of the side-by-side comparison the `defaults` scenario
// reruns: one producer sending windows of 1,000 acknowledged messages, then one
// consumer reading them back, every client with its default settings, on one
// machine, median of 3. Peers: RabbitMQ Streams, NATS JetStream, Redis Streams.

export const PEER_BEST = {
  'produce/100': { value: 477_000, unit: 'rec/s', peer: 'RabbitMQ Streams' },
  'consume/100': { value: 1_320_000, unit: 'rec/s', peer: 'Redis Streams' },
  'produce/1024': { value: 137e6, unit: 'B/s', peer: 'NATS JetStream' },
  'consume/1024': { value: 440e6, unit: 'B/s', peer: 'Redis Streams' },
} as const;

/** The defaults' target: this many times the best peer figure, at both sizes. */
export const PEER_TARGET_MULTIPLE = 3;
