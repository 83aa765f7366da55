export { simulate } from './simulate.ts';
export { deliveryOrder } from './delivery.ts';
export { createRng, mulberry32, type Rng } from './random.ts';
export type {
  Campaign,
  Expected,
  GroupMessage,
  IdentifyMessage,
  MessageContext,
  PageInfo,
  PageMessage,
  SegmentMessage,
  SimulateOptions,
  Simulation,
  TrackMessage,
} from './types.ts';
export { billingHistory, type BillingHistory, type HistoryStage } from './history.ts';
