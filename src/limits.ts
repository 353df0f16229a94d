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
/**
 * Largest share of the simulated page cache one fetch may read. Zero-copy
 * modes pin the pages they hand to the socket until the write completes, so a
 * fetch near the cache's size would leave nothing to reclaim (the kernel would
 * stall the reader instead); a quarter leaves room for concurrent fetches and
 * appends.
 */
export const FETCH_PAGE_CACHE_SHARE_MAX = 0.25;
/** Longest long-poll a Fetch may ask for (`fetchWaitMsMax`); Kafka clients use 500 ms to 5 s. */
export const FETCH_WAIT_MS_MAX = 30_000;
/** Most simultaneous client connections (`connectionsMax`). */
export const CONNECTIONS_MAX_DEFAULT = 1024;
/** Most requests one connection may have in flight before the broker stops reading from it. */
export const CONNECTION_INFLIGHT_MAX = 64;
/** Response bytes queued for one connection before the broker stops reading its requests. */
export const CONNECTION_QUEUED_BYTES_MAX = 64 * MiB;
/** A Kafka connection with nothing in flight and no bytes in or out for this long is closed (`connectionsMaxIdleMs`); Kafka's connections.max.idle.ms. */
export const CONNECTIONS_MAX_IDLE_MS_DEFAULT = 10 * 60_000;
/**
 * A connection whose response bytes have waited this long without one write
 * finishing is closed (`connectionStallMs`): a reader that stopped. It holds
 * what those responses pinned and allocated. Clients give up on a response
 * after their own request timeout (Kafka's request.timeout.ms, 30 s), so a
 * response still unread by then is waited for by nobody.
 */
export const CONNECTION_STALL_MS_DEFAULT = 30_000;
/**
 * After the broker refuses a connection's request it sends what came before,
 * half-closes, and reads (discarding) until the client closes or this long has
 * passed, then destroys the socket. Reading on avoids a reset that could drop
 * the answers still in the client's receive buffer; the bound makes sure the
 * close always finishes.
 */
export const CONNECTION_CLOSE_LINGER_MS = 1_000;
/**
 * Most fetched record bytes one Kafka connection holds (pinned page-cache views
 * or copies) for responses written but not yet taken by the client; the next
 * Fetch response is served (its pages pinned) only when it fits, or when the
 * connection holds nothing. The effective cap is also at most one fetch's
 * share of the page cache (FETCH_PAGE_CACHE_SHARE_MAX), so a reader that
 * stopped pins no more than a single fetch may.
 */
export const CONNECTION_HELD_BYTES_MAX = 64 * MiB;
/**
 * Broker-wide bytes of Kafka request frames being assembled or handled
 * (`queuedRequestBytesMax`), Kafka's queued.max.request.bytes. A frame that
 * arrives across reads is charged its declared size before its buffer is
 * allocated; when the budget is spent, the connection stops reading until
 * other requests finish. Frames lying whole inside one socket read are views
 * of that read and are not charged.
 */
export const QUEUED_REQUEST_BYTES_MAX_DEFAULT = 128 * MiB;

/**
 * Produce payload bytes the broker appends in one turn of the event loop;
 * further produce requests wait for the next turn (broker/turn-budget.ts), so
 * that a burst of large requests cannot keep every other client waiting. One
 * default producer batch: about a millisecond of pwrite, page-cache copy and CRC.
 */
export const APPEND_BYTES_PER_TURN_MAX = 256 * KiB;
/** What one append costs beyond its bytes (validation, offsets, indexes, the response), in bytes of that budget. */
export const APPEND_COST_BYTES_MIN = 4 * KiB;

/** Longest topic name (Kafka's rule). */
export const TOPIC_NAME_LENGTH_MAX = 249;
/** Most partitions a topic may have: each one is a directory and open files. */
export const PARTITIONS_MAX = 1024;

/** Client producer: default bytes buffered and unacknowledged before `send` waits (backpressure). */
export const PRODUCER_INFLIGHT_BYTES_DEFAULT = 32 * MiB;
/**
 * Client producer: batches of one partition on the wire at once (Kafka's
 * `max.in.flight.requests.per.connection`, 5 there because the broker keeps
 * the last 5 sequence numbers; copyless orders without sequences). Pipelining
 * hides the round trip and lets acks=all batches share an fsync: with 1 KiB
 * batches, 5 made `seq 1000000 | copyless produce t --batch-bytes 1024` about
 * 4x slower than 32. Half the broker's CONNECTION_INFLIGHT_MAX, so one
 * partition does not fill a connection alone. While a batch is retried its
 * partition sends one at a time, so order holds (client/produce-sender.ts).
 */
export const PRODUCER_INFLIGHT_BATCHES_MAX = 32;

function check(condition: boolean, why: string): void {
  if (!condition) throw new Error(`copyless limits are inconsistent: ${why}`);
}

// A batch larger than a topic's segmentBytes is refused at append (RECORD_LIST_TOO_LARGE, as Kafka does), so
// a 1 MiB demo segment caps batches at 1 MiB; the defaults themselves must agree.
check(BATCH_BYTES_MAX_DEFAULT <= SEGMENT_BYTES_DEFAULT, 'the default batch limit must fit in the default segment');
check(SEGMENT_BYTES_MAX < 2 ** 31, 'offset-index positions are int32');
check(FETCH_BYTES_MAX <= FRAME_BYTES_MAX_DEFAULT, 'a fetch response must be a frame our own client accepts');
check(PAGE_CACHE_BYTES_MIN % PAGE_BYTES === 0, 'the page cache holds whole pages');

// Client SDK defaults (client/). Each is an option of the producer, consumer or client.

/** Producer: bytes one partition's batch collects before it is sent without waiting for linger (`batchBytes`). */
export const PRODUCER_BATCH_BYTES_DEFAULT = 256 * KiB;
/**
 * Producer: how long a non-full batch waits for more records (`lingerMs`). 0:
 * a send() call's records are batched together and sent at the end of the
 * call, so an application that awaits each send() (a window of messages) never
 * waits for a timer: with 5 ms (Kafka 4.0's `linger.ms`) such a window waited
 * 5 ms, capping it at 200 windows a second, and a lone record waited too. An
 * application calling send() once per record at high rates should set it
 * (e.g. 5) so records of several calls share a batch.
 */
export const PRODUCER_LINGER_MS_DEFAULT = 0;
/** Consumer: most bytes one Fetch response may carry (`maxBytes`); kafkajs's default. */
export const CONSUMER_FETCH_BYTES_DEFAULT = 10 * MiB;
/** Consumer: most bytes per partition in one Fetch (`maxBytesPerPartition`); Kafka's `max.partition.fetch.bytes`. */
export const CONSUMER_PARTITION_FETCH_BYTES_DEFAULT = 1 * MiB;
/** Consumer: long-poll wait when no data is ready (`maxWaitMs`); Kafka's `fetch.max.wait.ms`. */
export const CONSUMER_FETCH_WAIT_MS_DEFAULT = 500;
/** Client: TCP connect timeout (`connectTimeoutMs`); kafkajs's `connectionTimeout`. */
export const CLIENT_CONNECT_TIMEOUT_MS_DEFAULT = 1_000;
/** Client: time a response may take beyond a Fetch's own long-poll wait (`requestTimeoutMs`); Kafka's `request.timeout.ms`. */
export const CLIENT_REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
/** Client: retries of a retriable failure before it is reported (`retry.retries`); kafkajs's default. */
export const CLIENT_RETRIES_DEFAULT = 5;
/** Client: first retry back-off (`retry.initialRetryTimeMs`), doubled per retry with jitter. */
export const CLIENT_RETRY_INITIAL_MS_DEFAULT = 100;
/** Client: longest back-off between two retries (`retry.maxRetryTimeMs`). */
export const CLIENT_RETRY_MAX_MS_DEFAULT = 10_000;

check(PRODUCER_BATCH_BYTES_DEFAULT <= BATCH_BYTES_MAX_DEFAULT, 'a default producer batch must be accepted by a default broker');
check(PRODUCER_BATCH_BYTES_DEFAULT < PRODUCER_INFLIGHT_BYTES_DEFAULT, 'several batches must fit in the producer in-flight budget');
check(PRODUCER_INFLIGHT_BATCHES_MAX < CONNECTION_INFLIGHT_MAX, "one partition's pipeline must not fill a broker connection alone");
check(CONSUMER_FETCH_BYTES_DEFAULT <= FETCH_BYTES_MAX, 'the consumer must not ask for more than a broker sends');
check(CONSUMER_PARTITION_FETCH_BYTES_DEFAULT <= CONSUMER_FETCH_BYTES_DEFAULT, 'one partition fits in a whole fetch');

// Storage (src/record, src/storage).

/**
 * Largest size a compressed batch may inflate to when copyless decodes one
 * (any reader, the timestamp lookup, a maxTimestamp fix-up): bounds a "zip
 * bomb", checked before inflating (src/record/codecs walk each frame first).
 */
export const BATCH_INFLATED_BYTES_MAX = 256 * MiB;
/**
 * An idempotent producer's state is dropped from a partition once its last
 * batch is this old (Kafka `producer.id.expiration.ms`, same default): what
 * bounds the per-partition producer table, checked on roll and retention.
 */
export const PRODUCER_ID_EXPIRATION_MS = 24 * 60 * 60 * 1000;

// Native fetch modes (broker/native/, native/).

/**
 * Most bytes one sendfile(2) or pread(2) call of a native send moves; also the
 * size of native-copy's buffer, one per threadpool thread. The same bound for
 * both modes keeps them a fair comparison; option `callBytes`.
 */
export const NATIVE_CALL_BYTES_DEFAULT = 1 * MiB;
/** Largest `callBytes` accepted: the copy buffer stays allocated on each threadpool thread. */
export const NATIVE_CALL_BYTES_MAX = 16 * MiB;
/**
 * How long a native send waits in poll(POLLOUT) for a consumer that stopped
 * reading before it gives up (option `stallMs`): the wait holds a threadpool thread.
 */
export const NATIVE_STALL_MS_DEFAULT = 30_000;
/** Most header buffers and file ranges in one native send: a Fetch has a few per partition. */
export const NATIVE_SEQUENCE_ITEMS_MAX = 16_384;

// HTTP and WebSocket APIs (broker/http, broker/ws).

/** HTTP fetch: record bytes returned when the request names no `maxBytes`; a curl-sized answer. */
export const HTTP_FETCH_BYTES_DEFAULT = 1 * MiB;
/**
 * HTTP JSON fetch: record bytes read, decoded and written per round. The
 * answer is streamed round by round and the next round waits until the
 * client has taken the last, so a slow reader holds one round, not the whole
 * answer, and no round blocks the event loop for long.
 */
export const HTTP_JSON_ROUND_BYTES = 256 * KiB;
/**
 * Broker-wide bytes allocated for HTTP answers and not yet taken by their
 * readers (`httpHeldBytesMax`): JSON rounds and copy-mode raw answers. A
 * round or answer waits for room; one answer alone is always allowed.
 */
export const HTTP_HELD_BYTES_MAX_DEFAULT = 64 * MiB;
/** Largest HTTP produce answer listing one offset per record; larger produces answer per batch only. */
export const HTTP_PRODUCE_OFFSETS_MAX = 10_000;
/**
 * WebSocket: bytes queued for one connection (ws.bufferedAmount) above which its
 * subscriptions stop fetching until the client reads (option `wsPauseBytes`).
 */
export const WS_SEND_BUFFER_PAUSE_BYTES = 4 * MiB;
/** WebSocket: bytes queued above which a connection is closed with SLOW_CONSUMER at once, whatever else is true. */
export const WS_SEND_BUFFER_CLOSE_BYTES = 16 * MiB;
/** WebSocket: a connection paused longer than this is closed with SLOW_CONSUMER (a reader that stopped for good). */
export const WS_SLOW_CONSUMER_MS = 30_000;
/** WebSocket: record bytes one subscription fetches per round when the subscribe op names no `maxBytes`. */
export const WS_FETCH_BYTES_DEFAULT = 256 * KiB;
/** WebSocket: most record bytes one subscription fetches per round (subscribe op `maxBytes`). */
export const WS_FETCH_BYTES_MAX = 4 * MiB;
/** WebSocket: long-poll of one subscription round; the round repeats until unsubscribe or close. */
export const WS_FETCH_WAIT_MS = 5_000;
/** WebSocket: most partition subscriptions one connection may hold (each is a fetch loop). */
export const WS_SUBSCRIPTIONS_MAX = 256;
/** WebSocket: period of the `stats` channel push. */
export const WS_STATS_INTERVAL_MS = 1_000;
/** WebSocket: after a close frame, how long the peer has to answer it before the socket is destroyed. */
export const WS_CLOSE_GRACE_MS = 5_000;

check(
  WS_SEND_BUFFER_PAUSE_BYTES + WS_FETCH_BYTES_MAX < WS_SEND_BUFFER_CLOSE_BYTES,
  'a subscription checks the pause limit before each round, so one round past it must still fit under the close limit',
);
check(HTTP_FETCH_BYTES_DEFAULT <= FETCH_BYTES_MAX && WS_FETCH_BYTES_MAX <= FETCH_BYTES_MAX, 'HTTP and WebSocket fetches are broker fetches');

// Consumer groups (broker/groups/).

/**
 * Shortest session timeout a group member may ask for (Kafka
 * group.min.session.timeout.ms): a shorter one detects failures faster but
 * costs more heartbeats. A GroupCoordinator option (`sessionTimeoutMsMin`) for tests.
 */
export const GROUP_SESSION_TIMEOUT_MS_MIN = 6_000;
/** Longest session timeout a member may ask for (Kafka group.max.session.timeout.ms, 2.x default): a dead member holds its partitions this long. */
export const GROUP_SESSION_TIMEOUT_MS_MAX = 300_000;
/** Most members (joined or awaiting their MEMBER_ID_REQUIRED rejoin) in one group (Kafka group.max.size): each parks a JoinGroup during a rebalance. */
export const GROUP_MEMBERS_MAX = 1_000;
/** Longest metadata string committed with an offset (Kafka offset.metadata.max.bytes). */
export const GROUP_OFFSET_METADATA_BYTES_MAX = 4_096;

check(GROUP_SESSION_TIMEOUT_MS_MIN <= GROUP_SESSION_TIMEOUT_MS_MAX, 'the session timeout range must not be empty');

// Consumer-group members of the client SDK (client/group/).

/** Group member: session timeout asked of the coordinator (`sessionTimeoutMs`); kafkajs's default, inside the broker's default range. */
export const CONSUMER_SESSION_TIMEOUT_MS_DEFAULT = 30_000;
/** Group member: how long the coordinator waits for every member to rejoin (`rebalanceTimeoutMs`); kafkajs's default. */
export const CONSUMER_REBALANCE_TIMEOUT_MS_DEFAULT = 60_000;
/** Group member: heartbeat period (`heartbeatIntervalMs`); Kafka's `heartbeat.interval.ms`. Also how late a member may learn of a rebalance. */
export const CONSUMER_HEARTBEAT_INTERVAL_MS_DEFAULT = 3_000;
/** Group member: period of automatic commits of processed positions (`autoCommitIntervalMs`); Kafka's `auto.commit.interval.ms`. */
export const CONSUMER_AUTO_COMMIT_INTERVAL_MS_DEFAULT = 5_000;

check(CONSUMER_HEARTBEAT_INTERVAL_MS_DEFAULT < CONSUMER_SESSION_TIMEOUT_MS_DEFAULT, 'several heartbeats must fit in one session');
check(
  CONSUMER_SESSION_TIMEOUT_MS_DEFAULT >= GROUP_SESSION_TIMEOUT_MS_MIN && CONSUMER_SESSION_TIMEOUT_MS_DEFAULT <= GROUP_SESSION_TIMEOUT_MS_MAX,
  'a default member must be accepted by a default coordinator',
);

// The web dashboard (broker/web) and what the broker sends it (broker/dashboard).

/** Stats channel: shortest push period a subscriber may ask for (`intervalMs`); the dashboard asks for 500 ms, two updates a second. */
export const WS_STATS_INTERVAL_MS_MIN = 250;
/** Stats channel: longest push period a subscriber may ask for. */
export const WS_STATS_INTERVAL_MS_MAX = 60_000;
/**
 * Stats channel: a snapshot (broker stats, activity, page map) younger than this is
 * shared by every subscriber instead of being computed again, so N open pages cost
 * about what one does.
 */
export const STATS_SNAPSHOT_REUSE_MS = 100;
/**
 * Page map: most cells of the heat map. One cell per page while the segments'
 * pages fit, else one per 2, 4, 8 ... pages: 65,536 cells are one byte each and
 * as many pages as a 256 MiB cache holds, which a screen can still show.
 */
export const PAGE_MAP_CELLS_MAX = 65_536;
/** Page map: cells kept for an active segment at least, so the tail has room to grow before the layout changes. */
export const PAGE_MAP_ACTIVE_SEGMENT_PAGES_MIN = 16;
/** Activity: Kafka connections listed one by one (most recently fetching first); the others are only counted. */
export const ACTIVITY_CONNECTIONS_LISTED_MAX = 256;
/** Batch inspector: most batches one GET .../batches describes; `maxBytes` bounds the bytes read too. */
export const INSPECT_BATCHES_MAX = 200;
/** Batch inspector: bytes read when `maxBytes` is not given (at least one whole batch is always read). */
export const INSPECT_BYTES_DEFAULT = 256 * KiB;

check(WS_STATS_INTERVAL_MS_MIN <= WS_STATS_INTERVAL_MS && WS_STATS_INTERVAL_MS <= WS_STATS_INTERVAL_MS_MAX, 'the default stats period must be one a subscriber may ask for');
check(STATS_SNAPSHOT_REUSE_MS < WS_STATS_INTERVAL_MS_MIN, 'a subscriber at the shortest period must still get a fresh snapshot every push');
check(INSPECT_BYTES_DEFAULT <= FETCH_BYTES_MAX, 'an inspection is a broker fetch');
