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
  /**
   * Called when messages the group had not read are gone (the broker reported the committed
   * offset out of range). Gaps (offsets skipped inside the log) are found by the supervised
   * consumer, against positions it keeps outside the broker. The subscription
   * then stops without handling anything past the loss and without committing, so it is
   * reported again on the next start until an operator acts.
   */
  onDataLoss?: (loss: DataLoss) => void;
  /** Called with the partitions this member was assigned, on every (re)balance. */
  onAssignment?: (partitions: number[]) => void;
}

/** Messages a consumer group lost: never skipped in silence. */
export interface DataLoss {
  topic: string;
  partition: number;
  /** The offset the group was to read next (null when the broker did not say). */
  expectedOffset: string | null;
  /**
   * The first offset still there: where delivery resumed after a gap, or where the log started
   * when the offset was out of range (null when not known). Messages from `expectedOffset` up
   * to it are lost.
   */
  firstOffset: string | null;
  reason: 'offset_out_of_range' | 'gap';
  /** The consumer group that lost them (set by the supervised consumer). */
  groupId?: string;
}

/** What became of a request to set a topic's retention. */
export interface TopicRetention {
  topic: string;
  retentionMs: number;
  /** `applied`: set and read back; `refused`: the broker would not; `not_applicable`: no broker. */
  status: 'applied' | 'refused' | 'not_applicable';
  /** Why not applied (an error class or code, never a message). */
  reason?: string;
}

/** How far a consumer group is behind the log, per partition and in all. */
export interface GroupLag {
  total: number;
  partitions: { partition: number; lag: number }[];
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
  /** How many messages of `topic` the group has not yet committed. */
  lag(topic: string, groupId: string): Promise<GroupLag>;
  /**
   * Sets how long the broker keeps a topic's messages (`retention.ms`) and reads it back.
   * Never throws: a broker that refuses (or cannot be asked) is reported as `refused` with the
   * error's class or code, so the caller can say so. Optional: a transport without retention
   * (the in-process log, a test double) leaves it out.
   */
  setTopicRetention?(topic: string, retentionMs: number): Promise<TopicRetention>;
  /** Makes sure the topics exist (idempotent). */
  ensureTopics(topics: string[]): Promise<void>;
  /** Stops every subscription and disconnects. */
  close(): Promise<void>;
}
