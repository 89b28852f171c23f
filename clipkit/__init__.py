"""clipkit: on-device short-video editing and effects."""
from ._version import __version__
from .errors import ClipkitError, FontError, MediaError, ParameterError, PluginError, RenderCancelled, TemplateError
from .frame import Frame
