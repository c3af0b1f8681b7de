/**
 * The transport port: a partitioned, keyed log with consumer groups (Kafka semantics). Two
 * adapters implement it: kafkajs (`KAFKA_BROKERS`) and an in-process log for the embedded
 * default. One contract suite (`transport.contract.ts`) runs against both.
 */

/** A message to publish. Messages with the same key land on the same partition, in order. */
export interface OutgoingMessage {
  key: string | null;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/** A message as delivered to a consumer. */
export interface IncomingMessage {
  topic: string;
  partition: number;
  /** The message's offset within its partition (a decimal string, as Kafka gives it). */
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface SubscribeOptions {
  topic: string;
  /** Consumer group: offsets are kept per group; members of one group share partitions. */
  groupId: string;
  /** Where a group with no committed offset starts (default false: only new messages). */
  fromBeginning?: boolean;
  /**
   * Called with consecutive messages of one partition. The group's offset advances only after
   * the returned promise resolves; when it rejects (or the process dies), the same messages are
   * delivered again to the next subscriber of the group.
   */
  eachBatch: (messages: IncomingMessage[]) => Promise<void>;
  /**
   * How many partitions' batches may be handled at once (default 1). Each partition still has
   * at most one batch in flight, so messages with the same key stay in order.
   */
  concurrency?: number;
  /** Called when eachBatch rejects; the subscription then stops. Default: logs nothing. */
  onError?: (error: unknown) => void;
}

export interface TransportSubscription {
  /** Stops consuming; resolves after the batch in flight (if any) has been handled. */
  stop(): Promise<void>;
}

export interface Transport {
  readonly kind: 'kafka' | 'in-process';
  /** Publishes and resolves once the messages are acknowledged by the log (all in-sync replicas). */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /** Joins the group and starts delivering; resolves once the consumer is running. */
  subscribe(options: SubscribeOptions): Promise<TransportSubscription>;
  /** Makes sure the topics exist (idempotent). */
  ensureTopics(topics: string[]): Promise<void>;
  /** Stops every subscription and disconnects. */
  close(): Promise<void>;
}
