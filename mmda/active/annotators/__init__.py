"""Annotators: who labels the pixels an acquisition strategy picked."""
from .base_annotator import AnnotationRequest, BaseAnnotator
from .file_annotator import FileAnnotator
from .simulated_annotator import SimulatedAnnotator

__all__ = [
    'AnnotationRequest', 'BaseAnnotator', 'FileAnnotator',
    'SimulatedAnnotator'
]
