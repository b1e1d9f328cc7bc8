package run

import (
	"context"
	"fmt"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// loadAWS is the SDK configuration from load, or from the SDK's default chain when load is nil.
func loadAWS(ctx context.Context, load func(context.Context) (sdkaws.Config, error)) (sdkaws.Config, error) {
	var (
		cfg sdkaws.Config
		err error
	)
	if load != nil {
		cfg, err = load(ctx)
	} else {
		cfg, err = awsconfig.LoadDefaultConfig(ctx)
	}
	if err != nil {
		return cfg, fmt.Errorf("AWS configuration: %w", err)
	}
	return cfg, nil
}

// clients loads the SDK configuration once, when a step first needs AWS, and makes each client
// once.
type clients struct {
	load func(context.Context) (sdkaws.Config, error) // Options.AWSConfig
	cfg  *sdkaws.Config
	s3c  *s3.Client
	sesc *sesv2.Client
}

func (c *clients) config(ctx context.Context) (sdkaws.Config, error) {
	if c.cfg == nil {
		cfg, err := loadAWS(ctx, c.load)
		if err != nil {
			return cfg, err
		}
		c.cfg = &cfg
	}
	return *c.cfg, nil
}

// linkValidity is how long a presigned link can work: 7 days (SigV4's maximum), or less when the
// credentials that sign it expire sooner (an ECS task role's last hours, not days).
func (c *clients) linkValidity(ctx context.Context) time.Duration {
	v := 7 * 24 * time.Hour
	cfg, err := c.config(ctx)
	if err != nil || cfg.Credentials == nil {
		return v
	}
	if creds, err := cfg.Credentials.Retrieve(ctx); err == nil && creds.CanExpire {
		v = min(v, time.Until(creds.Expires).Truncate(time.Hour))
	}
	return max(v, time.Hour)
}

func (c *clients) s3(ctx context.Context) (*s3.Client, error) {
	if c.s3c == nil {
		cfg, err := c.config(ctx)
		if err != nil {
			return nil, err
		}
		c.s3c = s3.NewFromConfig(cfg, func(o *s3.Options) {
			// Emulators and S3-compatible endpoints address buckets by path, not by host name.
			// An endpoint set for S3 (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3 or endpoint_url in
			// the shared config, which the SDK has resolved into BaseEndpoint by now) is such an
			// endpoint; AWS's own are found without one.
			o.UsePathStyle = o.BaseEndpoint != nil
		})
	}
	return c.s3c, nil
}

func (c *clients) ses(ctx context.Context) (*sesv2.Client, error) {
	if c.sesc == nil {
		cfg, err := c.config(ctx)
		if err != nil {
			return nil, err
		}
		c.sesc = sesv2.NewFromConfig(cfg)
	}
	return c.sesc, nil
}
