/** The middle value (the upper middle for an even count): robust to one noisy round. */
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
