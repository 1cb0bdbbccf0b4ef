"""The pages, in sidebar order."""

from tmrvc_gui.pages.convert_page import ConvertPage
from tmrvc_gui.pages.data_page import DataPage
from tmrvc_gui.pages.enrol_page import EnrolPage
from tmrvc_gui.pages.eval_page import EvalPage
from tmrvc_gui.pages.export_page import ExportPage
from tmrvc_gui.pages.project_page import ProjectPage
from tmrvc_gui.pages.train_page import TrainPage

PAGES = [("Project", ProjectPage), ("Data", DataPage), ("Train", TrainPage), ("Evaluate", EvalPage),
         ("Enrol", EnrolPage), ("Convert", ConvertPage), ("Export", ExportPage)]
