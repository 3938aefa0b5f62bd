/**
 * The `budget:` section: what the fleet's cloud workers may cost in a calendar month (the local time zone's), in
 * the currency of the price table (USD). Its own schema, assembled into the config file's by `schema.ts`.
 */
import { z } from 'zod';
import { closed, expecting } from './rules.js';

/** The monthly budget. */
export interface BudgetSettings {
  /** The most the cloud workers may cost this month (USD); creating or waking one that would reach it is refused. */
  readonly monthly: number;
}

/** The fields of `budget:`. */
export const budgetShape = {
  monthly: z.number({ error: expecting('a positive amount in USD, e.g. 50') }).positive({ error: 'the monthly budget must be more than 0 (USD)' }),
};

/** The `budget:` section as written. */
export const budgetSchema = closed(budgetShape, 'a mapping with `monthly`');
