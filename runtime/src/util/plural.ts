/** "1 episode", "3 episodes": counts in messages read as English. */
export const plural = (count: number, noun: string, nouns = `${noun}s`): string => `${count} ${count === 1 ? noun : nouns}`;
