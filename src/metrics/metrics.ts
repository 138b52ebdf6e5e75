import type { Registry } from 'prom-client';
import type { Page } from '../builtin/pages.js';
import { drain } from '../protocol/http-exchange.js';
import { ConnectionMetrics } from './connections.js';
import { KinesisMetrics } from './kinesis-metrics.js';
import { createPrometheusRegistry, type PrometheusSources } from './prometheus.js';
import { RequestMetrics } from './request-metrics.js';
import { VideoMetrics } from './video-metrics.js';
import { AnalyticsMetrics } from './analytics-metrics.js';

/**
 * Millrace's metrics in one place: the counters the request path keeps (Kinesis streams,
 * requests, connections), read by the Prometheus page and published to CloudWatch
 * (cloudwatch/publisher.ts) as AWS/Kinesis, AWS/Firehose, AWS/KinesisVideo and AWS/KinesisAnalytics.
 */
export class MillraceMetrics {
  readonly kinesis = new KinesisMetrics();
  readonly requests = new RequestMetrics();
  readonly connections = new ConnectionMetrics();
  /** Fed by the Video media side (one call per request, chunk or fragment). */
  readonly video = new VideoMetrics();
  /** Fed by the Analytics runner (a job's running totals). */
  readonly analytics = new AnalyticsMetrics();
  private registry?: Registry;

  /** The Prometheus registry over these counters and the sources read at scrape time. */
  prometheus(sources: Omit<PrometheusSources, 'kinesis' | 'requests' | 'connections' | 'video' | 'analytics'>): Registry {
    this.registry ??= createPrometheusRegistry({ ...sources, kinesis: this.kinesis, requests: this.requests, connections: this.connections, video: this.video, analytics: this.analytics });
    return this.registry;
  }
}

/**
 * `GET /_millrace/metrics` and `GET /metrics`: the text exposition format (0.0.4), or OpenMetrics
 * when the scraper asks for it.
 */
export function metricsPage(registry: Registry): Page {
  return async (req, res) => {
    await drain(req);
    const text = await registry.metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.writeHead(200);
    res.end(text);
  };
}
