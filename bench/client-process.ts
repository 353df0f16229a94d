// A load-generating client of the benchmark, in a process of its own so that
// producers and consumers never share an event loop with the runner or the
// broker, and several can run in parallel. It runs one job at a time on
// request (see child.ts for the IPC protocol): produce, consume, latency, the
// tail half of catch-up, and the two halves of the peer workload (defaults).

import { serveParent } from './child.ts';
import { consumeJob } from './jobs/consume.ts';
import { latencyJob } from './jobs/latency.ts';
import { pingStart, pingStop } from './jobs/ping.ts';
import { peerConsumeJob, peerProduceJob } from './jobs/peer.ts';
import { produceJob } from './jobs/produce.ts';
import { tailStart, tailStop } from './jobs/tail.ts';
import { loopDelayHandlers } from './loop-delay.ts';

serveParent(
  {
    produce: produceJob,
    consume: consumeJob,
    latency: latencyJob,
    peerProduce: peerProduceJob,
    peerConsume: peerConsumeJob,
    tailStart,
    tailStop,
    pingStart,
    pingStop,
    ...loopDelayHandlers,
  },
  { pid: process.pid },
);
