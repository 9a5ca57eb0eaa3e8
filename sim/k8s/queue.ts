/**
 * M/M/c queueing formulas (Erlang C) for the latency of a Deployment.
 *
 * Each ready replica serves one request at a time (Knative's containerConcurrency = 1,
 * the serverless default the Sizeless functions ran under), so c ready replicas with
 * service rate mu each form an M/M/c queue fed by Poisson arrivals at rate lambda.
 * Standard results (Kleinrock, Queueing Systems Vol. 1, 1975, section 3.5; Harchol-Balter,
 * Performance Modeling and Design of Computer Systems, 2013, ch. 14):
 *
 *     a = lambda / mu,  rho = a / c < 1
 *     Erlang B by the stable recursion  B_0 = 1,  B_k = a B_{k-1} / (k + a B_{k-1})
 *     C(c, a) = c B_c / (c - a (1 - B_c))         probability that an arrival waits
 *     P(W > t) = C(c, a) exp(-(c mu - lambda) t)   waiting-time tail
 *     E[W] = C(c, a) / (c mu - lambda)
 *
 * Latency = waiting + service. We take the waiting-time tail from M/M/c but add the
 * request's own (deterministic) service time rather than an exponential one: segments
 * do fixed work per request, and an exponential service time would put the p99 of an
 * idle system at 4.6x the service time. Using M/M/c waits for near-deterministic service
 * overestimates queueing (M/D/c waits are about half): a conservative choice.
 */

/** Erlang C probability of waiting; 1 when the system is saturated (rho >= 1). */
export function erlangC(c: number, a: number): number {
  if (c <= 0) return 1;
  if (a <= 0) return 0;
  if (a >= c) return 1;
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return (c * b) / (c - a * (1 - b));
}

/** The q-quantile (e.g. 0.99) of the M/M/c waiting time in seconds; Infinity if saturated. */
export function waitQuantile(c: number, lambda: number, mu: number, q: number): number {
  const gap = c * mu - lambda;
  if (gap <= 0) return Infinity;
  const pw = erlangC(c, lambda / mu);
  const tail = 1 - q;
  if (pw <= tail) return 0;
  return Math.log(pw / tail) / gap;
}

/** Mean M/M/c waiting time in seconds; Infinity if saturated. */
export function meanWait(c: number, lambda: number, mu: number): number {
  const gap = c * mu - lambda;
  if (gap <= 0) return Infinity;
  return erlangC(c, lambda / mu) / gap;
}
