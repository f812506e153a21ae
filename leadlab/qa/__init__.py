"""Call-quality review: sample calls for review, load reviews, per-rep QA scores, reviewer agreement
and calibration (docs/qa.md).

>>> from leadlab.qa import load_form, sample_calls, qa_analysis
>>> load_form().form_id
'standard-v1'
"""

from leadlab.qa.analyze import QaAnalysis, qa_analysis
from leadlab.qa.form import Form, FormItem, load_form
from leadlab.qa.sample import SampleResult, sample_calls

__all__ = ["Form", "FormItem", "QaAnalysis", "SampleResult", "load_form", "qa_analysis", "sample_calls"]
