// Drives GenCluster's OpenAI-compatible API with the official openai client; prints one JSON object of what it saw.
// Usage: node openai-client.mjs BASE_URL API_KEY MODEL
import OpenAI from "openai";

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const messages = [{ role: "user", content: "Hello" }];

const chat = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 6 });

let streamed = "";
let finish = null;
let usage = null;
const stream = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 6, stream: true, stream_options: { include_usage: true } });
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    streamed += choice.delta.content ?? "";
    finish = choice.finish_reason ?? finish;
  }
}

const completion = await client.completions.create({ model, prompt: "a", temperature: 0, max_tokens: 4, logprobs: 2 });
const models = [];
for await (const m of client.models.list()) models.push(m.id);

let error = null;
try {
  await client.chat.completions.create({ model, messages, temperature: 5 });
} catch (e) {
  error = { status: e.status, param: e.param ?? e.error?.param ?? null, type: e.type ?? e.error?.type ?? null };
}

console.log(JSON.stringify({
  chat: { content: chat.choices[0].message.content, role: chat.choices[0].message.role, finish: chat.choices[0].finish_reason, usage: chat.usage },
  stream: { content: streamed, finish, usage },
  completion: { text: completion.choices[0].text, tokens: completion.choices[0].logprobs.tokens, logprobs: completion.choices[0].logprobs.token_logprobs },
  models,
  error,
}));
