import type { Clock } from '../core/index.ts';

export const systemClock: Clock = () => Date.now();
