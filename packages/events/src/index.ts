export * from './issues.ts';
export * from './message.ts';
export * from './product-events.ts';
export * from './tracked-event.ts';
export * from './intake.ts';
export * from './record.ts';
export * from './dead-letter.ts';
export * from './replay.ts';
