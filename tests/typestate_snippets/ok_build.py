"""Typestate snippet: building after ``add`` type-checks cleanly."""

from __future__ import annotations

from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineBuilder, PipelineId

pipeline: Pipeline = (
    PipelineBuilder.new(PipelineId("p")).add(FunctionSpec("mask")).add(FunctionSpec("drop")).build()
)
