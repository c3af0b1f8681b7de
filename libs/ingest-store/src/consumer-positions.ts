import type { Sql } from '@linkage/database';
import type { ConsumerPositionStore } from '@linkage/transport';

/**
 * Consumer positions in `ingest.consumer_positions` (see `ConsumerPositionStore`): a position
 * only moves forward, so a late save of an older batch cannot move it back.
 */
export function consumerPositionStore(sql: Sql): ConsumerPositionStore {
  return {
    async load(groupId, topic) {
      const rows = await sql<{ partition: number; next_offset: string }[]>`
        select partition, next_offset::text from ingest.consumer_positions
        where group_id = ${groupId} and topic = ${topic}`;
      return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
    },
    async save(groupId, topic, partition, next) {
      await sql`
        insert into ingest.consumer_positions (group_id, topic, partition, next_offset)
        values (${groupId}, ${topic}, ${partition}, ${next.toString()})
        on conflict (group_id, topic, partition)
        do update set next_offset = greatest(ingest.consumer_positions.next_offset, excluded.next_offset)`;
    },
  };
}
