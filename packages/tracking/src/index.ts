export * from './email-links.ts';
export * from './noise.ts';
export * from './classify.ts';
export * from './click-id.ts';
