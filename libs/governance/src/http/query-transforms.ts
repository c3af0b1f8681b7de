import { Transform } from 'class-transformer';

/** An empty query parameter counts as absent (`?measure=` is a missing measure). */
export const emptyIsAbsent = () =>
  Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value));

/** A query parameter that must be a whole number (kept as given when it is not one). */
export const wholeNumber = () =>
  Transform(({ value }: { value: unknown }) => {
    if (value === '' || value === undefined) return undefined;
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  });

/** Several property decorators as one (a DTO field's shared rules). */
export const allOf =
  (decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) =>
    decorators.forEach((d) => d(target, key));
