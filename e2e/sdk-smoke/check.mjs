// The official OpenAI and Anthropic JavaScript SDKs, installed outside the project, against a running gateway:
// chat completions, Responses and Messages, streaming and not. Each answer's usage must equal its stored usage record.
// A repeated deterministic request on a cached route must be a hit: same answer, x-gateway-cache: hit, and a usage
// record with cache_hit and provider cost 0 (the engine never ran). Then models.list and models.retrieve.
// Usage: node check.mjs <gateway base url> <api key> <admin key> <route> [<cached route>]
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const [base, key, admin, route, cachedRoute] = process.argv.slice(2);
const oa = new OpenAI({ apiKey: key, baseURL: base + '/v1', maxRetries: 0 });
const an = new Anthropic({ apiKey: key, baseURL: base, maxRetries: 0 });
let failures = 0;

async function stored(requestId) {
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${base}/admin/usage/${requestId}`, { headers: { authorization: `Bearer ${admin}` } });
    if (r.ok) return r.json();
    await new Promise(res => setTimeout(res, 100));
  }
  throw new Error(`no usage record for ${requestId}`);
}

async function check(name, fn) {
  try {
    const { requestId, input, output, extra } = await fn();
    const rec = await stored(requestId);
    const ok = rec.prompt_tokens === input && rec.completion_tokens === output && rec.status === 200;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: answer usage ${input}+${output}, stored ${rec.prompt_tokens}+${rec.completion_tokens}`
      + ` status ${rec.status} charge ${rec.team_charge_usd}${extra ? ' ' + extra : ''}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.status ?? ''} ${e.message}`);
  }
}

const msgs = [{ role: 'user', content: 'Say hello.' }];
await check('openai chat', async () => {
  const { data, response } = await oa.chat.completions.create({ model: route, messages: msgs, max_tokens: 8 }).withResponse();
  return { requestId: response.headers.get('x-gateway-request-id'), input: data.usage.prompt_tokens, output: data.usage.completion_tokens };
});
await check('openai chat stream', async () => {
  const { data, response } = await oa.chat.completions.create({ model: route, messages: msgs, max_tokens: 8, stream: true,
    stream_options: { include_usage: true } }).withResponse();
  let usage, chunks = 0;
  for await (const c of data) { chunks++; if (c.usage) usage = c.usage; }
  return { requestId: response.headers.get('x-gateway-request-id'), input: usage.prompt_tokens, output: usage.completion_tokens, extra: `${chunks} chunks` };
});
await check('openai responses', async () => {
  const { data, response } = await oa.responses.create({ model: route, input: 'Say hello.', instructions: 'Be brief.', max_output_tokens: 8 }).withResponse();
  return { requestId: response.headers.get('x-gateway-request-id'), input: data.usage.input_tokens, output: data.usage.output_tokens, extra: data.status };
});
await check('openai responses stream', async () => {
  const { data, response } = await oa.responses.create({ model: route, input: [{ role: 'user', content: 'Say hello.' }],
    max_output_tokens: 8, stream: true }).withResponse();
  let usage; const types = new Set();
  for await (const ev of data) { types.add(ev.type); if (ev.response?.usage) usage = ev.response.usage; }
  if (!types.has('response.created') || !types.has('response.output_text.delta')) throw new Error('events: ' + [...types]);
  return { requestId: response.headers.get('x-gateway-request-id'), input: usage.input_tokens, output: usage.output_tokens };
});
await check('anthropic messages', async () => {
  const { data, response } = await an.messages.create({ model: route, max_tokens: 8, system: 'Be brief.', messages: msgs }).withResponse();
  return { requestId: response.headers.get('x-gateway-request-id'), input: data.usage.input_tokens, output: data.usage.output_tokens, extra: data.stop_reason };
});
await check('anthropic messages stream', async () => {
  const { data, response } = await an.messages.create({ model: route, max_tokens: 8, messages: msgs, stream: true }).withResponse();
  let input, output; const types = new Set();
  for await (const ev of data) {
    types.add(ev.type);
    if (ev.type === 'message_start') input = ev.message.usage.input_tokens;
    // Like the SDK's own accumulator: message_delta's cumulative usage may carry input_tokens (known only at the end
    // when the upstream is OpenAI-compatible).
    if (ev.type === 'message_delta') { output = ev.usage.output_tokens; if (ev.usage.input_tokens != null) input = ev.usage.input_tokens; }
  }
  if (!types.has('message_stop')) throw new Error('no message_stop: ' + [...types]);
  return { requestId: response.headers.get('x-gateway-request-id'), input, output };
});
if (process.env.SDK_SMOKE_COMPLETIONS !== '0') await check('openai completions (legacy)', async () => {
  const { data, response } = await oa.completions.create({ model: route, prompt: 'Once upon a time', max_tokens: 8 }).withResponse();
  return { requestId: response.headers.get('x-gateway-request-id'), input: data.usage.prompt_tokens, output: data.usage.completion_tokens };
});
if (cachedRoute) {
  const prompt = `Cache me ${Date.now()}`;
  const once = () => oa.chat.completions.create({ model: cachedRoute, temperature: 0, max_tokens: 8,
    messages: [{ role: 'user', content: prompt }] }).withResponse();
  await check('openai chat, cached route, first (miss)', async () => {
    const { data, response } = await once();
    const header = response.headers.get('x-gateway-cache');
    const rec = await stored(response.headers.get('x-gateway-request-id'));
    if (header !== 'miss' || rec.cache_hit !== false) throw new Error(`expected a miss, got header ${header} cache_hit ${rec.cache_hit}`);
    globalThis.firstAnswer = data.choices[0].message.content;
    return { requestId: response.headers.get('x-gateway-request-id'), input: data.usage.prompt_tokens, output: data.usage.completion_tokens, extra: 'x-gateway-cache: miss' };
  });
  await check('openai chat, cached route, repeated (hit)', async () => {
    const { data, response } = await once();
    const header = response.headers.get('x-gateway-cache');
    const rec = await stored(response.headers.get('x-gateway-request-id'));
    if (header !== 'hit' || rec.cache_hit !== true || Number(rec.provider_cost_usd) !== 0) {
      throw new Error(`expected a hit at provider cost 0, got header ${header} cache_hit ${rec.cache_hit} provider cost ${rec.provider_cost_usd}`);
    }
    if (data.choices[0].message.content !== globalThis.firstAnswer) throw new Error('the hit answered differently from the miss');
    return { requestId: response.headers.get('x-gateway-request-id'), input: data.usage.prompt_tokens, output: data.usage.completion_tokens,
      extra: `x-gateway-cache: hit, provider cost ${rec.provider_cost_usd}, saved ${rec.cache_saved_usd}` };
  });
}
// Models: the list and one retrieved (no usage record: these are not metered calls).
try {
  const listed = [];
  for await (const m of oa.models.list()) listed.push(m.id);
  const one = await oa.models.retrieve(route);
  let missing = null;
  try { await oa.models.retrieve('no-such-route'); } catch (e) { missing = e.status; }
  const ok = listed.includes(route) && one.id === route && missing === 404;
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} openai models: list [${listed.join(', ')}], retrieve ${one.id}, unknown route ${missing}`);
} catch (e) {
  failures++;
  console.log(`FAIL openai models: ${e.status ?? ''} ${e.message}`);
}
console.log(failures === 0 ? 'all SDK checks passed' : `${failures} SDK check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
