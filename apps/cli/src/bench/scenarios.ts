import type { BenchScenario } from './bench-context';
import { edgeBench } from './edge.bench';
import { eventStoreAppendBench } from './event-store-append.bench';
import { generateBench } from './generate.bench';
import { ingestMemoryBench } from './ingest-memory.bench';
import { linkageQualityBench } from './linkage-quality.bench';
import { pipelineBench } from './pipeline.bench';
import { projectionBench } from './projection.bench';
import { scaleBench } from './scale.bench';

/** Every scenario of `linkage bench`, in the order a default run goes through them. */
export const BENCH_SCENARIOS: readonly BenchScenario[] = [
  eventStoreAppendBench,
  generateBench,
  edgeBench,
  projectionBench,
  pipelineBench,
  ingestMemoryBench,
  linkageQualityBench,
  scaleBench,
];
