from .da_data_preprocessor import DADataPreprocessor

__all__ = ['DADataPreprocessor']
