// A consume job as the runner hands it to a client process, and what it
// reports back, whichever reader runs it (consume.ts: the SDK consumer;
// wire-consume.ts: the wire consumer). Their own module so that the two
// readers share them without importing each other.

export type Reader = 'sdk' | 'wire';

export interface ConsumeJob {
  /** Default 'sdk'. */
  reader?: Reader;
  address: string;
  topic: string;
  partition: number;
  fetchMode: string;
  maxBytes: number;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  fromOffset: number;
  /** Stop once every record before this offset has been delivered ... */
  untilOffset: number;
  /** ... this many times: after each pass the consumer seeks back to fromOffset (default 1) ... */
  passes?: number;
  /** ... and more passes until the timed span is at least this long (default 0): a figure measured too briefly means little. */
  minSpanMs?: number;
}

/** Sent by a job at the start and the end of its timed span. */
export interface SpanEvent {
  span: 'start' | 'end';
}

export interface ConsumeJobResult {
  /** Records in [fromOffset, untilOffset) delivered, times the passes. */
  records: number;
  /** Stored bytes of the whole batches delivered (batch headers included). */
  bytes: number;
  fetches: number;
  /** The timed span (epoch ms, clock.ts). */
  startMs: number;
  endMs: number;
  /** This client process's CPU time over [startMs, endMs]. */
  cpu: { userSec: number; systemSec: number };
  /** Sum of every fetch's accounting (empty against a non-copyless broker). */
  accounting: Record<string, number>;
}
