// Every bound copyless enforces, named with its unit last and the reason for its
// value. Config options that override a default say so; the README's
// configuration table lists them. Relations between limits are asserted once,
// at load time, at the bottom of this file.

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Size of one page in the simulated page cache; the x86-64 kernel page size. */
export const PAGE_BYTES = 4 * KiB;

/** Default simulated page-cache capacity (`pageCacheMb` option). */
export const PAGE_CACHE_BYTES_DEFAULT = 256 * MiB;
/** Smallest page cache accepted: 64 pages, enough for one read-ahead window and a batch. */
export const PAGE_CACHE_BYTES_MIN = 64 * PAGE_BYTES;
/** Largest page cache accepted: the model keeps its frames in process memory. */
export const PAGE_CACHE_BYTES_MAX = 16 * GiB;

/**
 * Largest record batch a producer may send (`messageBytesMax` option). Kafka's
 * `max.message.bytes` default: 1 MiB plus the 12-byte log overhead.
 */
export const BATCH_BYTES_MAX_DEFAULT = 1 * MiB + 12;
/** Hard ceiling for `messageBytesMax`: a batch must fit well inside the smallest segment. */
export const BATCH_BYTES_MAX_CEILING = 16 * MiB;

/** Default segment size (`segmentBytes` option); Kafka's is 1 GiB, ours suits a laptop. */
export const SEGMENT_BYTES_DEFAULT = 64 * MiB;
/** Smallest segment accepted ("configurable down to 1 MiB for demos"). */
export const SEGMENT_BYTES_MIN = 1 * MiB;
/** Largest segment accepted: file positions in the offset index are signed 32-bit. */
export const SEGMENT_BYTES_MAX = 1 * GiB;
/** Default segment age before it rolls (`segmentMs`); Kafka's 7 days. */
export const SEGMENT_MS_DEFAULT = 7 * 24 * 3600 * 1000;

/** Bytes appended between two sparse offset-index entries (Kafka `index.interval.bytes`). */
export const INDEX_INTERVAL_BYTES_DEFAULT = 4 * KiB;
/** Largest offset or time index per segment (Kafka `segment.index.bytes`); a full index rolls the segment. */
export const INDEX_BYTES_MAX = 10 * MiB;

/** Largest Kafka request frame accepted (`frameBytesMax`); checked before the body is buffered. */
export const FRAME_BYTES_MAX_DEFAULT = 64 * MiB;
/** Largest Fetch response the broker builds for one request, whatever the client asks (`fetchBytesMax`). */
export const FETCH_BYTES_MAX = 64 * MiB;
/** Longest long-poll a Fetch may ask for (`fetchWaitMsMax`); Kafka clients use 500 ms to 5 s. */
export const FETCH_WAIT_MS_MAX = 30_000;
/** Most simultaneous client connections (`connectionsMax`). */
export const CONNECTIONS_MAX_DEFAULT = 1024;
/** Most requests one connection may have in flight before the broker stops reading from it. */
export const CONNECTION_INFLIGHT_MAX = 64;
/** Response bytes queued for one connection before the broker stops reading its requests. */
export const CONNECTION_QUEUED_BYTES_MAX = 64 * MiB;

/** Longest topic name (Kafka's rule). */
export const TOPIC_NAME_LENGTH_MAX = 249;
/** Most partitions a topic may have: each one is a directory and open files. */
export const PARTITIONS_MAX = 1024;

/** Client producer: default bytes buffered and unacknowledged before `send` waits (backpressure). */
export const PRODUCER_INFLIGHT_BYTES_DEFAULT = 32 * MiB;

function check(condition: boolean, why: string): void {
  if (!condition) throw new Error(`copyless limits are inconsistent: ${why}`);
}

check(BATCH_BYTES_MAX_DEFAULT <= SEGMENT_BYTES_MIN, 'the default batch limit must fit in the smallest segment');
check(SEGMENT_BYTES_MAX < 2 ** 31, 'offset-index positions are int32');
check(FETCH_BYTES_MAX <= FRAME_BYTES_MAX_DEFAULT, 'a fetch response must be a frame our own client accepts');
check(PAGE_CACHE_BYTES_MIN % PAGE_BYTES === 0, 'the page cache holds whole pages');
