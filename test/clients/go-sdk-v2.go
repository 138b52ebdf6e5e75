// A Kinesis client written with the AWS SDK for Go v2, run by clients.test.ts against a Millrace
// endpoint (os.Args[1]); what it observed is reported as go-observed.go says. An https endpoint is
// reached over HTTP/2 (ALPN) without verifying the server's self-signed certificate.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func awsError(err error) *observedError {
	var api smithy.APIError
	var response *smithyhttp.ResponseError
	if !errors.As(err, &api) || !errors.As(err, &response) {
		return &observedError{Code: fmt.Sprintf("not an API error: %v", err)}
	}
	return &observedError{Code: api.ErrorCode(), Message: api.ErrorMessage(), Status: response.HTTPStatusCode()}
}

func mustParse(raw string) *url.URL {
	parsed, err := url.Parse(raw)
	must(err, "url.Parse")
	return parsed
}

func main() {
	ctx := context.Background()
	endpoint := os.Args[1]
	httpClient := awshttp.NewBuildableClient()
	if strings.HasPrefix(endpoint, "https:") {
		httpClient = httpClient.WithTransportOptions(func(transport *http.Transport) {
			transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
			transport.ForceAttemptHTTP2 = true
		})
		// The protocol this transport settles on with the server, as the SDK's calls will use it.
		response, err := httpClient.Do(&http.Request{Method: "GET", URL: mustParse(endpoint), Header: http.Header{}})
		must(err, "GET over the SDK's transport")
		response.Body.Close()
		observed["protocol"] = response.Proto
	}
	k := kinesis.New(kinesis.Options{
		HTTPClient:  httpClient,
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		EndpointResolver: kinesis.EndpointResolverFunc(func(region string, options kinesis.EndpointResolverOptions) (aws.Endpoint, error) {
			return aws.Endpoint{URL: endpoint, HostnameImmutable: true}, nil
		}),
		RetryMaxAttempts: 1,
	})
	name := aws.String("go-sdk-v2")

	_, err := k.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: name, ShardCount: aws.Int32(2)})
	must(err, "CreateStream")
	exists := kinesis.NewStreamExistsWaiter(k, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	must(exists.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: name}, 30*time.Second), "StreamExistsWaiter")
	summary, err := k.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: name})
	must(err, "DescribeStreamSummary")
	observed["status"] = summary.StreamDescriptionSummary.StreamStatus
	observed["streamArn"] = *summary.StreamDescriptionSummary.StreamARN

	put, err := k.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, Data: []byte("hello from go v2"), PartitionKey: aws.String("go")})
	must(err, "PutRecord")
	observed["putShardId"] = *put.ShardId
	observed["putSequenceNumber"] = *put.SequenceNumber
	entries := []types.PutRecordsRequestEntry{}
	for i := 0; i < 10; i++ {
		entries = append(entries, types.PutRecordsRequestEntry{Data: []byte(fmt.Sprintf("record %d", i)), PartitionKey: aws.String(fmt.Sprintf("key %d", i))})
	}
	batch, err := k.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: name, Records: entries})
	must(err, "PutRecords")
	observed["putRecordsFailed"] = *batch.FailedRecordCount
	observed["putRecordsResults"] = len(batch.Records)

	shards, err := k.ListShards(ctx, &kinesis.ListShardsInput{StreamName: name})
	must(err, "ListShards")
	read := []string{}
	for _, shard := range shards.Shards {
		iterator, err := k.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: shard.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		must(err, "GetShardIterator")
		records, err := k.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iterator.ShardIterator})
		must(err, "GetRecords")
		for _, record := range records.Records {
			if record.ApproximateArrivalTimestamp.Before(time.Now().Add(-time.Minute)) {
				must(fmt.Errorf("arrival %v", record.ApproximateArrivalTimestamp), "ApproximateArrivalTimestamp")
			}
			read = append(read, string(record.Data))
		}
	}
	observed["read"] = read

	atTimestamp, err := k.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: put.ShardId, ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(time.Now().Add(-time.Minute))})
	must(err, "GetShardIterator AT_TIMESTAMP")
	first, err := k.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: atTimestamp.ShardIterator, Limit: aws.Int32(1)})
	must(err, "GetRecords AT_TIMESTAMP")
	if len(first.Records) == 1 {
		observed["firstAtTimestamp"] = string(first.Records[0].Data)
	}

	_, err = k.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("no-such-stream")})
	observed["missingStream"] = awsError(err)
	var notFound *types.ResourceNotFoundException
	observed["missingStreamTyped"] = errors.As(err, &notFound)
	_, err = k.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, Data: make([]byte, 1024*1024+1), PartitionKey: aws.String("big")})
	observed["tooLarge"] = awsError(err)

	// Enhanced fan-out through the SDK's own event-stream reader.
	consumer, err := k.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: summary.StreamDescriptionSummary.StreamARN, ConsumerName: aws.String("go-consumer")})
	must(err, "RegisterStreamConsumer")
	for {
		described, err := k.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{ConsumerARN: consumer.Consumer.ConsumerARN})
		must(err, "DescribeStreamConsumer")
		if described.ConsumerDescription.ConsumerStatus == types.ConsumerStatusActive {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	subscription, err := k.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: consumer.Consumer.ConsumerARN, ShardId: put.ShardId, StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	must(err, "SubscribeToShard")
	go func() {
		time.Sleep(200 * time.Millisecond)
		_, err := k.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, Data: []byte("pushed to go v2"), PartitionKey: aws.String("go")})
		must(err, "PutRecord while subscribed")
	}()
	stream := subscription.GetStream()
	pushed := []string{}
	timeout := time.After(10 * time.Second)
receive:
	for {
		select {
		case event, open := <-stream.Events():
			if !open {
				break receive
			}
			if records, ok := event.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent); ok {
				for _, record := range records.Value.Records {
					pushed = append(pushed, string(record.Data))
				}
				if len(pushed) > 0 {
					break receive
				}
			}
		case <-timeout:
			break receive
		}
	}
	stream.Close()
	observed["pushed"] = pushed

	_, err = k.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: name, EnforceConsumerDeletion: aws.Bool(true)})
	must(err, "DeleteStream")
	gone := kinesis.NewStreamNotExistsWaiter(k, func(o *kinesis.StreamNotExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	must(gone.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: name}, 30*time.Second), "StreamNotExistsWaiter")
	observed["deleted"] = true

	report()
}
