// bench/ref-queue/bench.mjs — the reference for bench/tasks.sh: the same
// no-op work as taskvisor's benchmark, on plainjob (SQLite through
// better-sqlite3, WAL) with 2 worker processes.
//
//   node bench.mjs main DB normal|full COUNT BATCH LAT_COUNT INTERVAL_MS
// prints: tasks=N seconds=S rate=R failed=F p50_ms=X p99_ms=Y
//
// Throughput: COUNT jobs added in batches of BATCH (addMany: one transaction
// each) while the workers run; timed from the first add until every job is
// done. Latency: LAT_COUNT jobs added one at a time, INTERVAL_MS apart; each
// carries its add time (CLOCK_MONOTONIC via process.hrtime) and the worker
// records when it starts it. plainjob workers poll: pollIntervall 10 ms.
import { fork } from "node:child_process";
import Database from "better-sqlite3";
import { better, defineQueue, defineWorker, JobStatus } from "plainjob";

const quiet = { debug() {}, info() {}, warn() {}, error: console.error };
const [, self, role, dbPath, mode] = process.argv;

function openQueue() {
	const db = new Database(dbPath);
	const queue = defineQueue({ connection: better(db), logger: quiet });
	db.pragma(`synchronous = ${mode === "full" ? "FULL" : "NORMAL"}`);
	return { db, queue };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (role === "worker") {
	const { queue } = openQueue();
	const lat = [];
	const worker = defineWorker(
		"bench",
		async (job) => {
			const d = JSON.parse(job.data);
			if (d.t !== undefined) lat.push(nowMs() - d.t);
		},
		{ queue, logger: quiet, pollIntervall: 10 }
	);
	process.on("message", async (m) => {
		if (m === "stop") {
			await worker.stop();
			process.send({ lat }, () => process.exit(0));
		}
	});
	worker.start();
	process.send("ready");
} else {
	const [count, batch, latCount, interval] = process.argv.slice(5).map(Number);
	const { queue } = openQueue();
	const workers = [];
	for (let i = 0; i < 2; i++) {
		const w = fork(self, ["worker", dbPath, mode]);
		workers.push(w);
		await new Promise((r) => w.once("message", r));
	}
	const t0 = nowMs();
	for (let done = 0; done < count; done += batch) {
		const n = Math.min(batch, count - done);
		queue.addMany("bench", Array.from({ length: n }, () => ({})));
	}
	let finished = 0;
	while ((finished = queue.countJobs({ status: JobStatus.Done }) + queue.countJobs({ status: JobStatus.Failed })) < count)
		await sleep(5);
	const secs = (nowMs() - t0) / 1000;
	const failed = queue.countJobs({ status: JobStatus.Failed });
	for (let i = 0; i < latCount; i++) {
		queue.add("bench", { t: nowMs() });
		await sleep(interval);
	}
	const target = count + latCount;
	while (queue.countJobs({ status: JobStatus.Done }) + queue.countJobs({ status: JobStatus.Failed }) < target)
		await sleep(5);
	const lat = [];
	await Promise.all(
		workers.map(
			(w) =>
				new Promise((r) => {
					w.once("message", (m) => {
						lat.push(...m.lat);
						r();
					});
					w.send("stop");
				})
		)
	);
	lat.sort((a, b) => a - b);
	const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : NaN);
	console.log(
		`tasks=${count} seconds=${secs.toFixed(3)} rate=${Math.round(count / secs)} failed=${failed} ` +
			`p50_ms=${pct(50).toFixed(3)} p99_ms=${pct(99).toFixed(3)} samples=${lat.length}`
	);
	process.exit(0);
}
