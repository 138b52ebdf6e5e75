// A Kinesis client written with the AWS SDK for Go (v1), run by clients.test.ts against a
// Millrace endpoint (os.Args[1]); what it observed is reported as go-observed.go says.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/kinesis"
)

func awsError(err error) *observedError {
	if failure, ok := err.(awserr.RequestFailure); ok {
		return &observedError{failure.Code(), failure.Message(), failure.StatusCode(), failure.RequestID()}
	}
	return &observedError{Code: fmt.Sprintf("not an AWS request failure: %v", err)}
}

func main() {
	sess := session.Must(session.NewSession(&aws.Config{
		Endpoint:    aws.String(os.Args[1]),
		Region:      aws.String("us-east-1"),
		Credentials: credentials.NewStaticCredentials("AKIDEXAMPLE", "secret", ""),
		MaxRetries:  aws.Int(0),
	}))
	k := kinesis.New(sess)
	name := aws.String("go-sdk-v1")

	_, err := k.CreateStream(&kinesis.CreateStreamInput{StreamName: name, ShardCount: aws.Int64(2)})
	must(err, "CreateStream")
	must(k.WaitUntilStreamExists(&kinesis.DescribeStreamInput{StreamName: name}), "WaitUntilStreamExists")
	summary, err := k.DescribeStreamSummary(&kinesis.DescribeStreamSummaryInput{StreamName: name})
	must(err, "DescribeStreamSummary")
	observed["status"] = *summary.StreamDescriptionSummary.StreamStatus
	observed["streamArn"] = *summary.StreamDescriptionSummary.StreamARN

	put, err := k.PutRecord(&kinesis.PutRecordInput{StreamName: name, Data: []byte("hello from go"), PartitionKey: aws.String("go")})
	must(err, "PutRecord")
	observed["putShardId"] = *put.ShardId
	observed["putSequenceNumber"] = *put.SequenceNumber
	entries := []*kinesis.PutRecordsRequestEntry{}
	for i := 0; i < 10; i++ {
		entries = append(entries, &kinesis.PutRecordsRequestEntry{Data: []byte(fmt.Sprintf("record %d", i)), PartitionKey: aws.String(fmt.Sprintf("key %d", i))})
	}
	batch, err := k.PutRecords(&kinesis.PutRecordsInput{StreamName: name, Records: entries})
	must(err, "PutRecords")
	observed["putRecordsFailed"] = *batch.FailedRecordCount
	observed["putRecordsResults"] = len(batch.Records)

	shards, err := k.ListShards(&kinesis.ListShardsInput{StreamName: name})
	must(err, "ListShards")
	read := []string{}
	for _, shard := range shards.Shards {
		iterator, err := k.GetShardIterator(&kinesis.GetShardIteratorInput{StreamName: name, ShardId: shard.ShardId, ShardIteratorType: aws.String("TRIM_HORIZON")})
		must(err, "GetShardIterator")
		records, err := k.GetRecords(&kinesis.GetRecordsInput{ShardIterator: iterator.ShardIterator})
		must(err, "GetRecords")
		for _, record := range records.Records {
			if record.ApproximateArrivalTimestamp.Before(time.Now().Add(-time.Minute)) {
				must(fmt.Errorf("arrival %v", record.ApproximateArrivalTimestamp), "ApproximateArrivalTimestamp")
			}
			read = append(read, string(record.Data))
		}
	}
	observed["read"] = read

	atTimestamp, err := k.GetShardIterator(&kinesis.GetShardIteratorInput{StreamName: name, ShardId: put.ShardId, ShardIteratorType: aws.String("AT_TIMESTAMP"), Timestamp: aws.Time(time.Now().Add(-time.Minute))})
	must(err, "GetShardIterator AT_TIMESTAMP")
	first, err := k.GetRecords(&kinesis.GetRecordsInput{ShardIterator: atTimestamp.ShardIterator, Limit: aws.Int64(1)})
	must(err, "GetRecords AT_TIMESTAMP")
	if len(first.Records) == 1 {
		observed["firstAtTimestamp"] = string(first.Records[0].Data)
	}

	_, err = k.DescribeStream(&kinesis.DescribeStreamInput{StreamName: aws.String("no-such-stream")})
	observed["missingStream"] = awsError(err)
	_, err = k.PutRecord(&kinesis.PutRecordInput{StreamName: name, Data: make([]byte, 1024*1024+1), PartitionKey: aws.String("big")})
	observed["tooLarge"] = awsError(err)

	_, err = k.AddTagsToStream(&kinesis.AddTagsToStreamInput{StreamName: name, Tags: map[string]*string{"team": aws.String("go")}})
	must(err, "AddTagsToStream")
	tags, err := k.ListTagsForStream(&kinesis.ListTagsForStreamInput{StreamName: name})
	must(err, "ListTagsForStream")
	observed["tags"] = tags.Tags

	// Enhanced fan-out through the SDK's own event-stream reader.
	consumer, err := k.RegisterStreamConsumer(&kinesis.RegisterStreamConsumerInput{StreamARN: summary.StreamDescriptionSummary.StreamARN, ConsumerName: aws.String("go-consumer")})
	must(err, "RegisterStreamConsumer")
	for {
		described, err := k.DescribeStreamConsumer(&kinesis.DescribeStreamConsumerInput{ConsumerARN: consumer.Consumer.ConsumerARN})
		must(err, "DescribeStreamConsumer")
		if *described.ConsumerDescription.ConsumerStatus == "ACTIVE" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	subscription, err := k.SubscribeToShard(&kinesis.SubscribeToShardInput{ConsumerARN: consumer.Consumer.ConsumerARN, ShardId: put.ShardId, StartingPosition: &kinesis.StartingPosition{Type: aws.String("LATEST")}})
	must(err, "SubscribeToShard")
	go func() {
		time.Sleep(200 * time.Millisecond)
		_, err := k.PutRecord(&kinesis.PutRecordInput{StreamName: name, Data: []byte("pushed to go"), PartitionKey: aws.String("go")})
		must(err, "PutRecord while subscribed")
	}()
	pushed := []string{}
	timeout := time.After(10 * time.Second)
receive:
	for {
		select {
		case event, open := <-subscription.GetStream().Events():
			if !open {
				break receive
			}
			if records, ok := event.(*kinesis.SubscribeToShardEvent); ok {
				for _, record := range records.Records {
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
	subscription.GetStream().Close()
	observed["pushed"] = pushed

	_, err = k.UpdateShardCount(&kinesis.UpdateShardCountInput{StreamName: name, TargetShardCount: aws.Int64(4), ScalingType: aws.String("UNIFORM_SCALING")})
	must(err, "UpdateShardCount")
	must(k.WaitUntilStreamExists(&kinesis.DescribeStreamInput{StreamName: name}), "WaitUntilStreamExists after UpdateShardCount")
	open, err := k.ListShards(&kinesis.ListShardsInput{StreamName: name, ShardFilter: &kinesis.ShardFilter{Type: aws.String("AT_LATEST")}})
	must(err, "ListShards AT_LATEST")
	observed["openShardsAfterUpdate"] = len(open.Shards)

	_, err = k.DeleteStream(&kinesis.DeleteStreamInput{StreamName: name, EnforceConsumerDeletion: aws.Bool(true)})
	must(err, "DeleteStream")
	must(k.WaitUntilStreamNotExists(&kinesis.DescribeStreamInput{StreamName: name}), "WaitUntilStreamNotExists")
	observed["deleted"] = true

	report()
}
