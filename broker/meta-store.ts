// Durable broker metadata in lmdb under <data>/meta: topic definitions here,
// committed group offsets in the group coordinator's own sub-database. lmdb
// writes are transactional and survive a process crash once the write promise
// resolves, so a topic the broker reported as created is never forgotten.

import path from 'node:path';
import fs from 'node:fs';
import { open, type RootDatabase, type Database } from 'lmdb';
import type { LogConfig } from '../src/storage/log.ts';

export interface TopicRecord {
  name: string;
  partitions: number;
  /** Per-topic overrides of the broker's log defaults (from CreateTopics configs). */
  config: Partial<LogConfig>;
  createdAt: number;
  /** Random id, so a deleted and re-created topic is a different topic. */
  topicId: string;
}

export class MetaStore {
  readonly root: RootDatabase;
  readonly topics: Database<TopicRecord, string>;

  constructor(dataDir: string) {
    const dir = path.join(dataDir, 'meta');
    fs.mkdirSync(dir, { recursive: true });
    this.root = open({ path: dir, compression: false });
    this.topics = this.root.openDB<TopicRecord, string>({ name: 'topics' });
  }

  /** A named sub-database for another component (e.g. committed offsets). */
  openDB<V, K extends string | string[] | number = string>(name: string): Database<V, K> {
    return this.root.openDB<V, K>({ name });
  }

  listTopics(): TopicRecord[] {
    const out: TopicRecord[] = [];
    for (const { value } of this.topics.getRange()) out.push(value);
    return out;
  }

  async putTopic(t: TopicRecord): Promise<void> {
    await this.topics.put(t.name, t);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.topics.remove(name);
  }

  /** For startup, before anything is served: finishing a delete a crash cut short. */
  deleteTopicSync(name: string): void {
    this.topics.removeSync(name);
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
