// Data-loss incidents live in the ingest-store lib, shared with the event writer (no cycle).
export {
  consumerPositionStore,
  DATA_LOSS_RESOLUTIONS,
  listDataLoss,
  resolveDataLossIncident,
  type DataLossResolution,
  openDataLoss,
  recordDataLoss,
  resolveDataLoss,
  unresolvedLossOf,
  type DataLossIncident,
} from '@linkage/ingest-store';
