import { z } from 'zod';

/** A deployment is missing or mis-sets an environment variable. Thrown at cold start. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/**
 * Parses the environment once, at module load, so a bad deploy fails at cold start
 * rather than in the middle of a request. Every problem is listed at once.
 */
export function parseEnvironment<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`)
      .join('; ');
    throw new ConfigurationError(`Invalid environment: ${problems}`);
  }
  return result.data;
}

/** A comma-separated list of positive integers, e.g. `200,400`. */
export const positiveIntegerList = z
  .string()
  .trim()
  .regex(/^\d+(\s*,\s*\d+)*$/, 'expected comma-separated whole numbers')
  .transform((value) => value.split(',').map((part) => Number(part.trim())))
  .refine((values) => values.every((v) => Number.isSafeInteger(v) && v > 0), 'every value must be > 0');

/** `true`/`false` (any case); anything else is a configuration error. */
export const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false']))
  .transform((value) => value === 'true');
