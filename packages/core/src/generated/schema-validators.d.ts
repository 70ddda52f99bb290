// Types of the validators scripts/gen-validators.mjs generates (schema-validators.js).
import type { ErrorObject } from 'ajv';

/** An ajv validator: true or false, with the errors of the last call. */
export type Validate = ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };
export declare const entryFast: Validate;
export declare const bodyFast: Validate;
export declare const entryExplain: Validate;
export declare const bodyExplain: Validate;
