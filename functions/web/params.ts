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
export const itemName = keyText(1024);

const itemFilters = {
  status: z.enum(STATUS_FILTERS).default('all'),
  sort: z.enum(SORT_KEYS).default('item'),
  order: z.enum(['asc', 'desc']).default('asc'),
};

const NUMBER_FORMAT = new Intl.NumberFormat('en-US');

/** One message for every way a number can be wrong: `-2`, `abc` and `0` need the same advice. */
const wholeNumber = (min: number, max: number) => {
  const message = `must be a whole number from ${NUMBER_FORMAT.format(min)} to ${NUMBER_FORMAT.format(max)}`;
  return z
    .string()
    .regex(/^\d{1,9}$/, message)
    .transform(Number)
    .pipe(z.number().int(message).min(min, message).max(max, message));
};

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

/** `?store=` empty (the filter form's "All stores") is the same as absent. */
const optionalStore = z.preprocess((value) => (value === '' ? undefined : value), storeName.optional());

export const alertsQuerySchema = z.object({
  store: optionalStore,
  type: z.enum(['all', 'out_of_stock', 'back_in_stock']).default('all'),
  before: z.string().min(1).max(4096).optional(),
  limit: wholeNumber(1, 200).default(50),
});

export const searchQuerySchema = z.object({
  // Surrounding spaces are never part of an item code (the import trims them too).
  item: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim() || undefined : value),
    itemName.optional(),
  ),
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

const listed = (values: readonly unknown[]) => values.map(String).join(', ');

/**
 * Words for the issues a schema above gives no message of its own, said as what the parameter
 * must be rather than in the validator's terms (`Invalid option: expected one of …`). A
 * message set in a schema wins over these (zod's order: schema, then the parse's error map).
 */
export const friendlyIssueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_value':
      return `must be one of: ${listed(issue.values)}`;
    case 'invalid_union': {
      // A discriminated union names its options (`kind`); a plain union does not.
      const options = 'options' in issue && Array.isArray(issue.options) ? issue.options : [];
      return options.length > 0 ? `must be one of: ${listed(options)}` : 'is not valid';
    }
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return issue.expected === 'object' ? 'must be a JSON object' : `must be a ${issue.expected}`;
    case 'too_small':
      if (issue.origin !== 'string') return `must be at least ${issue.minimum}`;
      return Number(issue.minimum) <= 1
        ? 'must not be empty'
        : `must be at least ${issue.minimum} characters`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters`
        : `must be at most ${issue.maximum}`;
    default:
      return 'is not valid';
  }
};

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
  const result = schema.safeParse(value, { error: friendlyIssueMessage });
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
