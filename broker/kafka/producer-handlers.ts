// InitProducerId (API 22) for idempotent producers: a fresh producer id at
// epoch 0 for every call, as Kafka gives a producer without a transactional
// id. The partition logs then check that producer's sequences
// (src/storage/producer-state.ts). Transactions are out of scope: a request
// naming a transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
// which clients treat as fatal at once instead of retrying (the transaction
// coordinator lookup is refused the same way, in group-handlers.ts).

import { CopylessError } from '../../src/errors.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import { kafkaErrorCode, type Handler } from './context.ts';

/** A new producer id's first epoch. */
const INITIAL_PRODUCER_EPOCH = 0;

/** Why a transactional request is refused; FindCoordinator(keyType 1) sends the same words. */
export const TRANSACTIONS_UNSUPPORTED = 'copyless does not support transactions (only idempotent producers: no transactional.id)';

const initProducerId: Handler = async (ctx, req) => {
  try {
    if (req.transactionalId !== null) {
      throw new CopylessError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', `${TRANSACTIONS_UNSUPPORTED}; got transactionalId ${JSON.stringify(req.transactionalId)}`, {
        field: 'transactionalId',
      });
    }
    if (ctx.broker.closing) throw new CopylessError('BROKER_SHUTTING_DOWN', 'broker is shutting down');
    const producerId = await ctx.broker.producerIds.allocate();
    ctx.logger.debug({ producerId, clientId: ctx.header.clientId }, 'producer id allocated');
    return { body: { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: INITIAL_PRODUCER_EPOCH } };
  } catch (e) {
    ctx.logger.info({ err: (e as Error).message, clientId: ctx.header.clientId }, 'InitProducerId refused');
    return { body: { throttleTimeMs: 0, errorCode: kafkaErrorCode(e), producerId: -1, producerEpoch: -1 } };
  }
};

export const producerHandlers = new Map<number, Handler>([[ApiKey.InitProducerId, initProducerId]]);
