"""Typestate snippet: building a pipeline with no function must not type-check."""

from __future__ import annotations

from pipeflow.domain.pipeline import Pipeline, PipelineBuilder, PipelineId

pipeline: Pipeline = PipelineBuilder.new(PipelineId("p")).build()
