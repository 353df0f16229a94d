// Kafka's topic-name rule, enforced on every interface (Kafka listener, HTTP,
// WebSocket, CLI): ASCII letters, digits, '.', '_' and '-', at most 249
// characters, and not '.' or '..'. Because a name becomes a directory
// (<data>/<topic>-<partition>), this rule is also what keeps every name inside
// the data dir: no '/', no '\\', no NUL, no '..'.

import { CopylessError } from './errors.ts';
import { TOPIC_NAME_LENGTH_MAX } from './limits.ts';

const LEGAL = /^[a-zA-Z0-9._-]+$/;

export function topicNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'topic name must be a non-empty string';
  if (name.length > TOPIC_NAME_LENGTH_MAX) return `topic name is ${name.length} characters, over ${TOPIC_NAME_LENGTH_MAX}`;
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (!LEGAL.test(name)) return `topic name ${JSON.stringify(name)} has characters outside [a-zA-Z0-9._-]`;
  return null;
}

export function validateTopicName(name: unknown): string {
  const problem = topicNameProblem(name);
  if (problem) throw new CopylessError('INVALID_TOPIC_EXCEPTION', problem, { field: 'topic', topic: String(name) });
  return name as string;
}
