import type { z } from 'zod';

/** Messages for people who send events: "required" rather than zod's "expected string, received undefined". */
export const errorMessages: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  return undefined;
};
