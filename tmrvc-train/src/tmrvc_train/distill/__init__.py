"""Student stages: encoders (speaker, content + RVQ, acoustic estimator), converter phases A/B, zeroshot."""
