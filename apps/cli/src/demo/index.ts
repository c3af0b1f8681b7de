export { runDemo } from './run-demo';
export { DEMO_DSA, DEMO_PURPOSE, type DemoOptions } from './demo-run';
export { gateMatchingSummary, type GatedMatchingSummary } from './demo-publication';
