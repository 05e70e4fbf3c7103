/** Error messages can quote their input (a rejected value, a bad line): keep what reaches a person or a client short. */
export const MAX_MESSAGE_CHARS = 2000;

export function clipMessage(message: string, limit = MAX_MESSAGE_CHARS): string {
  return message.length <= limit ? message : `${message.slice(0, limit)}... (${message.length - limit} more characters)`;
}
