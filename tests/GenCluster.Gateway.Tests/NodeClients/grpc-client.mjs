// Drives GenCluster's gRPC gateway with @grpc/grpc-js and the repository's generation.proto; prints one JSON object.
// Usage: node grpc-client.mjs ADDRESS (host:port) PROTO_PATH
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const [address, protoPath] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { longs: String, enums: String, defaults: true, oneofs: true });
const { Generation } = grpc.loadPackageDefinition(definition).gencluster.v1;
const client = new Generation(address, grpc.credentials.createInsecure());

const unary = (method, request) => new Promise((resolve, reject) => client[method](request, (e, r) => (e ? reject(e) : resolve(r))));
const stream = (request) => new Promise((resolve, reject) => {
  const events = [];
  const call = client.Generate(request);
  call.on("data", (e) => events.push(e));
  call.on("error", reject);
  call.on("end", () => resolve(events));
});

const models = (await unary("ListModels", {})).models.map((m) => m.name);
const events = await stream({
  model: "llama-tiny", inputIds: { ids: [1, 15, 42, 7, 99] }, method: "top_k",
  sampling: { seed: 5, maxNewTokens: 8, minNewTokens: 8, topK: 20 },
});
const tokens = events.filter((e) => e.kind === "tokens").flatMap((e) => e.tokens.tokens.map((t) => Number(t.tokenId)));
const summary = events.find((e) => e.kind === "summary").summary;

let error = null;
try {
  await stream({ model: "llama-tiny", inputIds: { ids: [1] }, sampling: { topP: 1.5, doSample: true } });
} catch (e) {
  error = { code: e.code, field: e.metadata.get("field")[0] ?? null };
}
client.close();
console.log(JSON.stringify({ models, tokens, status: summary.status, sessionId: summary.sessionId, error }));
