// Schemas of copyless's extension APIs (private keys 10000+, version 0 only).
//
// The JSON APIs carry their payload as one UTF-8 JSON document, written as an
// int32 length + bytes (a "long string": stats and topic descriptions can pass
// the 32 KiB of a Kafka int16 string). CopylessFetch is Fetch v11 with the
// fetch-mode accounting appended to the response.

import { array, field, type FieldSpec, type Schema } from '../schema.ts';
import { FetchRequestSchema, FetchResponseSchema } from './topic-apis.ts';

/** The Fetch version CopylessFetch v0 is identical to. */
export const COPYLESS_FETCH_BASE_VERSION = 11;

export const CopylessJsonRequestSchema: Schema = [field('json', 'longString')];

export const CopylessJsonResponseSchema: Schema = [
  field('errorCode', 'int16'),
  field('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
  field('json', 'longString'),
];

/** The schema as it is at `version`, re-labelled as present in every version (so v0 of a new API can reuse it). */
function pinned(schema: Schema, version: number): Schema {
  return schema.map((f): FieldSpec => {
    const present = version >= f.versionMin && version <= f.versionMax;
    const nullable = version >= f.nullableMin && version <= f.nullableMax;
    return {
      ...f,
      type: typeof f.type === 'string' ? f.type : pinned(f.type, version),
      versionMin: present ? 0 : 1,
      versionMax: present ? Number.POSITIVE_INFINITY : 0,
      nullableMin: nullable ? 0 : 1,
      nullableMax: nullable ? Number.POSITIVE_INFINITY : 0,
    };
  }).filter((f) => f.versionMin === 0);
}

export const CopylessFetchRequestSchema: Schema = pinned(FetchRequestSchema, COPYLESS_FETCH_BASE_VERSION);

/**
 * The fetch-mode accounting CopylessFetch appends to a Fetch v11 response:
 * `int32 count, then per item: int16 name length, UTF-8 name, int64 value`.
 * The broker rewrites its values in place once a fetch is sent
 * (../accounting-trailer.ts), so it must stay the response's last field.
 */
export const CopylessFetchAccountingSchema: Schema = [
  array('accounting', [
    field('name', 'string'),
    field('value', 'int64'),
  ]),
];

export const CopylessFetchResponseSchema: Schema = [
  ...pinned(FetchResponseSchema, COPYLESS_FETCH_BASE_VERSION),
  ...CopylessFetchAccountingSchema,
];
