/** Job ids are UUIDs because the LeapOCR API shows UUIDs; other ids carry a readable prefix. */
export const newJobId = (): string => crypto.randomUUID();
export const newId = (prefix: string): string =>
  `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
