export * from './contribution.ts';
export * from './durations.ts';
export * from './heat.ts';
export * from './days.ts';
export * from './streaks.ts';
export * from './rules.ts';
export * from './match.ts';
export * from './default-rules.ts';
