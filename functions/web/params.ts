import { z } from 'zod';
import { MAX_IMAGE_ITEM_NAME_BYTES } from '#shared/images/item-images.ts';
import type { HttpEvent } from './http-event.ts';
import { SORT_KEYS, STATUS_FILTERS } from './items.ts';
import { invalidParameters, type ParameterProblem } from './problem.ts';
import { IMAGE_TYPES } from './upload-keys.ts';

/**
 * Request parameters, validated with zod. A bad value is a 400 naming the parameter;
 * unknown query parameters are ignored (links from elsewhere may carry tracking tags).
 */

// DynamoDB key limits: partition key 2,048 bytes, sort key 1,024 bytes
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
const keyText = (maxBytes: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .refine((value) => Buffer.byteLength(value, 'utf8') <= maxBytes, `must be at most ${maxBytes} bytes`)
    .refine(
      (value) =>
        ![...value].some((character) => {
          const code = character.charCodeAt(0);
          return code < 0x20 || code === 0x7f;
        }),
      'must not contain control characters',
    );

export const storeName = keyText(2048);

const itemFilters = {
  status: z.enum(STATUS_FILTERS).default('all'),
  sort: z.enum(SORT_KEYS).default('item'),
  order: z.enum(['asc', 'desc']).default('asc'),
};

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const storePageQuerySchema = z.object({
  ...itemFilters,
  page: wholeNumber(1, 100_000).default(1),
});

export const storeItemsApiQuerySchema = z.object({
  ...itemFilters,
  limit: wholeNumber(1, 500).default(100),
  cursor: z.string().min(1).max(2048).optional(),
});

export const importsQuerySchema = z.object({
  limit: wholeNumber(1, 100).default(20),
  page: wholeNumber(1, 1000).default(1),
  source: z.string().min(1).max(1024).optional(),
  uploaded: z.string().max(1024).optional(),
});

const returnTo = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[^\\\s]*$/, 'must be a path on this site')
  .optional();

export const uploadRequestSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('inventory'),
    filename: z
      .string()
      .min(1)
      .max(255)
      .regex(/\.csv(\.gz)?$/i, 'must end in .csv or .csv.gz'),
    returnTo,
  }),
  z.object({
    kind: z.literal('image'),
    // Shorter than the table allows: the image's key and its thumbnails' must fit S3's limit.
    item: keyText(MAX_IMAGE_ITEM_NAME_BYTES).refine((value) => !value.includes('/'), 'must not contain "/"'),
    contentType: z.enum(Object.keys(IMAGE_TYPES) as [string, ...string[]], 'must be a supported image type'),
    returnTo,
  }),
]);

export type UploadRequest = z.infer<typeof uploadRequestSchema>;

export function problemsOf(error: z.ZodError, fallbackParameter = 'request'): ParameterProblem[] {
  return error.issues.map((issue) => ({
    parameter: issue.path.length > 0 ? issue.path.map(String).join('.') : fallbackParameter,
    detail: issue.message,
  }));
}

/** Parses with the schema, or throws a 400 naming every bad parameter. */
export function parseOrBadRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
  fallbackParameter?: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidParameters(problemsOf(result.error, fallbackParameter), result.error);
  return result.data;
}

export function queryOf(event: HttpEvent): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[name] = value;
  }
  return query;
}

/**
 * A path parameter as API Gateway hands it over: an HTTP API has already percent-decoded it
 * (and the path), so it is used as it is. Decoding it again would turn a name that itself
 * contains `%` and two hex digits (`100%41`) into another name (`100A`).
 */
export function pathParameter<S extends z.ZodType>(event: HttpEvent, name: string, schema: S): z.infer<S> {
  const value = event.pathParameters?.[name];
  return parseOrBadRequest(schema, value, name);
}
